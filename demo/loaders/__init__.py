"""One loader per kind of demo record, each writing through the product's own services.

A loader takes its part of the dataset and the rows it hangs on (users, customers), creates
what is missing under a natural key and leaves what exists alone, and says how many rows it
created (or updated: transactions move with today). `demo.load` calls them in order.
"""
