DROP TABLE status_ranges;
DROP TABLE token_statuses;
DROP TABLE status_blocks;
DROP TABLE status_lists;
