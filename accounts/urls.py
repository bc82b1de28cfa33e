"""Pages of the rep's daily work: My day, customers, contacts, visits."""

app_name = "accounts"

urlpatterns: list = []
