"""The layer the parties share without importing each other.

The issuer, the verifier, the wallet (and every later party) may import this package; it imports none of them.
It holds what each party would otherwise write for itself: the rules for what may be fetched and how (bounded
fetching, origins, https), reading issuers' metadata and key sets, QR decoding, redaction of personal data in
logs, the diploma's verification set-up built once above the engine, and the common shape of a service.
"""
