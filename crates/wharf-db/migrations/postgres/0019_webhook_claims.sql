-- A delivery being attempted is claimed until this time (Unix seconds) by the replica
-- sending it: no other replica or tick sends it meanwhile, and the claims of a feed bound
-- how many of its deliveries are in flight. A claim lapses only when its replica died.
ALTER TABLE webhook_deliveries ADD COLUMN claimed_until BIGINT;
