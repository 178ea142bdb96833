-- Deleted reports by when they were deleted: the engine reads the latest deletions every
-- count to take them out of its live tally. Partial, as deletions are few.
CREATE INDEX reports_deleted ON reports (deleted_at) WHERE deleted_at IS NOT NULL;
