"""The pure domain: the question bank, question types, conditions, answers, scoring (fit/2)
and the plain data pages and reports print. No Flask, SQLAlchemy, Jinja, WTForms or
WeasyPrint, and no other layer of the app: tested without an app."""
