// PROVISIONAL: filled by its scenario's owner.
