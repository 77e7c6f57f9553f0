-- A visitor counts as unique on a link once per hour, from the click that was counted (P13):
-- a repeat within the hour is not unique and does not move that hour. So the question "is
-- this click unique?" only ever looks for the visitor's unique clicks, and the index that answers
-- it needs only those rows. Repeat and bot clicks (most of the traffic a busy link gets) then
-- write the click row and its click id, not a third B-tree.
DROP INDEX clicks_visitor;
CREATE INDEX clicks_unique_visitor ON clicks (link_id, visitor_hash, clicked_at) WHERE is_unique = 1;
