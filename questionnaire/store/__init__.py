"""The database: models, migrations, and the verbs that change assessments, accounts and
the access log. Imports the core; never the reports or web layers."""
