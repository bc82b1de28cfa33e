"""Demo data for development and tests: `seed_demo` and the data it loads.

`dataset` and `pipeline_dataset` generate the data, pure and deterministic; `loaders` write it,
one module per kind of record, through the same services the product uses; `load` runs them in
order. Nothing in the product apps imports this package.
"""
