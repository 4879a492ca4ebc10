"""Patrol tracks: parsing, cleaning, geodesic distance, coverage and flags. Pure: no Django, no database.

A phone sends a LineString with one time per point. Phones lose signal, jump when GPS is poor and
sometimes send a track that never touches the river, so the server:

1. **parses** the positions (WGS84, CGCS2000 or GCJ-02, converted to WGS84 by ``core.geo``) and the
   times (ISO 8601 with an offset, strictly increasing, one per point);
2. **cleans** the track: a point that could only be reached from the last kept point faster than the
   mode's speed limit (plus the GPS tolerance) is dropped. When several consecutive points agree with
   each other but not with the track so far, the track really jumped (signal lost, position re-acquired
   elsewhere): the new run is kept as a new part and the jump is flagged ``teleport``; the distance of
   the jump is not counted, since nobody travelled it at that speed;
3. **measures** the distance of the cleaned parts geodesically on the WGS84 ellipsoid
   (``core.geo.geodesic_line_length_m``: Karney's geodesic, or for segments under 100 m the
   ellipsoidal mid-latitude formula that agrees with it to nanometres), never in a projection and
   never from a client's figure;
4. **checks** the track against the reach in a local metric plane: a transverse Mercator centred on
   the reach. Buffers are built there, never in degrees. (An ellipsoidal azimuthal equidistant costs
   4.5 times as much per point through pyproj; within 50 km of the centre the transverse Mercator's
   scale error is below 3·10⁻⁵, a centimetre on a 300 m buffer.)

   * ``outside_reach``: less than ``min_inside_share`` of the track's length lies within
     ``reach_buffer_m`` of the reach (a prepared buffer polygon, tested with vectorised point-in-polygon);
   * ``stationary``: every kept point lies within ``stationary_radius_m`` of their centre;
   * coverage: the share of the reach's length within ``coverage_buffer_m`` of the track, measured
     on sample points along the reach (every 20 m, at most 500) against the prepared track.

   A lake or reservoir is checked the same way on its shoreline (the boundary of its water surface):
   coverage is the share of the shoreline within ``coverage_buffer_m`` of the track, and the track
   is on the lake where it lies on the water or within the lake's buffer of the shore.

Hot path: this runs for every posted patrol (2,000-point tracks at 100/s in the benchmark), so the
checks are vectorised through numpy arrays (the representation shapely 2 and pyproj work on): the
times in the layout phones send are decoded column-wise, GCJ-02 is inverted on whole arrays, the
length is measured with ``core.geo.geodesic_line_length_m``, the WKB the database stores is written
directly from the arrays, the speed check has a fast path for the usual track with nothing to drop,
and the per-reach work (projection, reach buffer) is cached per process.

One module per step: ``positions`` and ``times`` (1), ``cleaning`` (2), ``analysis`` (3 and 4) on the
reach's local plane (``plane``) and writing WKB (``wkb``); ``base`` holds the shared names and
``fingerprint`` the request fingerprint. Everything public is imported here.
"""

from patrols.track.analysis import TrackAnalysis, analyse
from patrols.track.base import FLAG_OUTSIDE_REACH, FLAG_STATIONARY, FLAG_TELEPORT, TrackError, TrackLimits
from patrols.track.cleaning import Cleaned, clean
from patrols.track.fingerprint import fingerprint
from patrols.track.plane import LocalReach, local_reach
from patrols.track.positions import parse_positions
from patrols.track.times import parse_times
from patrols.track.wkb import cleaned_parts, cleaned_track_wkb, linestring_wkb, multilinestring_wkb

__all__ = [
    "FLAG_OUTSIDE_REACH",
    "FLAG_STATIONARY",
    "FLAG_TELEPORT",
    "Cleaned",
    "LocalReach",
    "TrackAnalysis",
    "TrackError",
    "TrackLimits",
    "analyse",
    "clean",
    "cleaned_parts",
    "cleaned_track_wkb",
    "fingerprint",
    "linestring_wkb",
    "local_reach",
    "multilinestring_wkb",
    "parse_positions",
    "parse_times",
]
