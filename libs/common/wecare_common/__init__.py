"""What every WeCare service needs: config, database, events, outbox, inbox."""
