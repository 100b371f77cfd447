"""The exam year in the ministry's database: the candidate registry, subjects and coefficients, marks,
deliberation, results at the announced instant, and the diploma records admitted candidates become."""
