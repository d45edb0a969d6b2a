// The backends a cell can compare, by name, for the notebook format and the forms. Pure: the
// modules that run them (engine/backends/, one each) are looked up by these names, and the
// registry refuses to load if the two lists differ (registry.test.ts).
export const backendNames: readonly string[] = ['baseline', 'saio-sync', 'saio-uring', 'saio-uring-fold', 'saio-kmod'];
