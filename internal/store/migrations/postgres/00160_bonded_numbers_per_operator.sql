-- +goose Up
-- Entry and tally numbers are the zone operator's own (rules §12): another
-- zone recording an entry or tally of that number first must not take it.
ALTER TABLE bonded_entries DROP CONSTRAINT bonded_entries_pkey, ADD PRIMARY KEY (operator_code, entry_no);
ALTER TABLE bonded_tallies DROP CONSTRAINT bonded_tallies_pkey, ADD PRIMARY KEY (operator_code, tally_no);

-- +goose Down
ALTER TABLE bonded_entries DROP CONSTRAINT bonded_entries_pkey, ADD PRIMARY KEY (entry_no);
ALTER TABLE bonded_tallies DROP CONSTRAINT bonded_tallies_pkey, ADD PRIMARY KEY (tally_no);
