"""The trials' jobs and emails: reminders before a trial ends, and the revert of each trial
past its end (licensing.trials holds the rules and the services). Conversion through the
checkout is billing.trials.conversion's."""
