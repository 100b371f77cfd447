"""The ministry's issuer service: diploma records, status lists, issuer metadata, OpenID4VCI issuance."""
