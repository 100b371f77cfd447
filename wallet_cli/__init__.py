"""The graduate's wallet: receive diplomas over OpenID4VCI, keep them safe, present and share them."""
