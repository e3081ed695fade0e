-- Sequence of the area-summary-updated events per area (outside the projection schema, so a
-- replay that swaps the views in keeps counting up).
CREATE TABLE area_publications (
    area text    PRIMARY KEY,
    seq  integer NOT NULL
);
