-- The live stream of a reader far behind (a reconnect after a long pause, or after=0) reads
-- alert_log from a seq onwards for one area's subtree: by (area, seq) it reads only that
-- subtree's rows instead of the whole log in seq order. area is COLLATE "C", so the subtree is
-- one byte range of the index (see monitors/repository.py within_sql).
CREATE INDEX alert_log_area_seq ON alert_log (area, seq);
