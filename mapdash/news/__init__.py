"""News and announcements from the office (seed 004's news menu): not cases, a table of their
own (sql/032). announcements.py writes and reads them, feeds.py offers them as RSS and Atom,
line_push.py gives one to the outbox for LINE followers."""
