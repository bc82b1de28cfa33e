"""The columns of a run's result rows: the customer and its 13 results, as SQL.

No Django import, so bench/scoring.py builds its write floor's table from the same text."""

RESULT_TABLE_COLUMNS = """(
    customer_id BIGINT NOT NULL,
    score NUMERIC(5, 2) NOT NULL,
    fit_score NUMERIC(5, 2) NOT NULL,
    rank INTEGER NOT NULL,
    tier VARCHAR(10) NOT NULL,
    abc_class VARCHAR(1) NOT NULL,
    is_key_account BOOLEAN NOT NULL,
    size_class VARCHAR(10) NOT NULL,
    value_class VARCHAR(10) NOT NULL,
    matrix_quadrant VARCHAR(10) NOT NULL,
    lifecycle_stage VARCHAR(12) NOT NULL,
    churn_risk BOOLEAN NOT NULL,
    sales_12m NUMERIC(16, 2) NOT NULL,
    sales_rank NUMERIC(5, 2) NOT NULL
)"""
