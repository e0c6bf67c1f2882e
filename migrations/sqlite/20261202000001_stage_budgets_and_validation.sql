-- Per-stage budgets, first stages taken from earlier runs, and model selection on a validation
-- split. A run now carries its resolved budget and, when it is an earlier run's model, that
-- run's id; its summary tracks the best validation accuracy so far and the test accuracy of
-- that epoch (the reported model). `best_test_accuracy` (the best epoch on the test split, a
-- biased number) is no longer written or shown.
ALTER TABLE runs ADD COLUMN budget TEXT;                -- resolved Budget, JSON (NULL: older runs, the spec's)
ALTER TABLE runs ADD COLUMN from_run TEXT;              -- the earlier run whose model this run is
ALTER TABLE runs ADD COLUMN best_val_accuracy REAL;
ALTER TABLE runs ADD COLUMN val_best_test_accuracy REAL;
