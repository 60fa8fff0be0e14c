"""`grade serve OUT`: the marking page, a local web application over a batch's gradebook.

The SQLite gradebook stays the one source of truth; the page only reads it and saves marks
through graders.gradebook. Every request needs the secret token printed in the URL."""
