-- The change log: every change that can turn an accept into a deny (or back), numbered in
-- commit order. The counter row is updated (and so locked) by each writing transaction until
-- it commits, which makes the numbers commit in order.
CREATE TABLE change_log (
    seq BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    value BIGINT
);

CREATE TABLE change_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL
);

INSERT INTO change_head (id, seq) VALUES (1, 0);

-- The order keys were added in (their change's number), so that the newest key mints even
-- when two were created in the same second. Keys from before the log have none and come first.
ALTER TABLE root_keys ADD COLUMN position BIGINT;
