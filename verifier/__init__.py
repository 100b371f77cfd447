"""The verifier service: VC-API and OpenID4VP verification, share links, the verification page."""
