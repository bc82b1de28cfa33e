"""Import and export pages for customers and transactions."""

app_name = "accounts_io"

urlpatterns: list = []
