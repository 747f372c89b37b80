-- Where the public sees a case (issue 16). An emergency (EMS, fire, disaster: a category
-- marked emergency) is often at someone's home, and a medical emergency at a house is
-- personal data: every public read (the public map, the "already reported?" hint, Open311
-- GET, open data) shows such a case only at the centre of its cell of a 0.002 degree grid
-- (about 220 m north-south and 210-220 m east-west in Thailand). Other cases keep their
-- point, and staff always read incidents.location itself. One definition for every public
-- read: this function.
-- depends: 001_init

CREATE FUNCTION public_location(location geometry, emergency boolean) RETURNS geometry
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN emergency THEN ST_SnapToGrid(location, 0.002) ELSE location END
$$;

-- The farthest public_location moves a point, in metres: half a cell's diagonal, 157 m at the
-- equator and less to the north. A search around public points first narrows down by the
-- stored ones, widened by this, so the index on incidents.location still serves it.
CREATE FUNCTION public_location_shift_m() RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 160.0::double precision
$$;
