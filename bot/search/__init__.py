"""What matches: normal form and tokens, the retriever and the classifiers. Pure: no
Flask, no SQL."""
