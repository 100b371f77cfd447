"""The portal's routes: thin — parse, call the sessions, the identity port or the exam year, render a page."""
