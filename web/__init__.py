"""The toolkit at the bottom of KAM: the web building blocks every app uses.

API conventions (`api`, `openapi`, `parsers`, `renderers`, `throttling`, `serializers`, `filters`,
`money`), page helpers (`forms`, `middleware`, `paths`, and the `money` template filters in
`templatetags`, which is why `web` is an installed app), spreadsheet output (`spreadsheets`), login
lockouts (`auth`) and outage detection (`outage`). It imports Django, DRF and the libraries, never
a KAM app and never `kam/`: every app may import it, and it stays the same whichever apps sit above.
"""
