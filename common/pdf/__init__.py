"""Printed documents of the ministry as PDF: Arabic shaped and right to left next to French, fonts embedded.

:mod:`common.pdf.text` checks what may be printed, :mod:`common.pdf.sheet` draws an A4 sheet (optionally PDF/A-3b)
and :mod:`common.pdf.convocation` is the candidate's convocation. The fonts and their licence are in ``fonts/``.
"""
