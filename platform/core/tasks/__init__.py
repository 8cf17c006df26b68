"""The task engine (事件): one workflow for every event, from a report to the resident's rating."""
