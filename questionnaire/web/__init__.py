"""The pages: the buyer's wizard, report downloads, the sales workspace, sign-in, and the
headers and error pages every response shares."""
