-- Districts' summary leaves are materialised in projection.cells too, beside the nation's,
-- provinces' and regencies' (only villages' are now derived from the cube at read time): a
-- regency's summary lists its districts, and deriving ~30 districts from ~30,000 cube rows
-- per request was too slow at national scale. Fill them from the cube, through the same
-- key -> leaf mapping the projection uses; district ids have 7 digits (see area_ids.py).
INSERT INTO projection.cells (area, path, v)
SELECT c.area, kp.path, sum(CASE WHEN kp.amount THEN c.amount ELSE c.n END)
FROM projection.cube AS c
JOIN figure_key_paths AS kp ON kp.key = c.key
WHERE c.area >= 1000000 AND c.area < 10000000
GROUP BY 1, 2
HAVING sum(CASE WHEN kp.amount THEN c.amount ELSE c.n END) <> 0
ON CONFLICT (area, path) DO UPDATE SET v = EXCLUDED.v;
