"""The candidates' e-services behind the eID login: personal data, convocation, results, and the staff pages."""
