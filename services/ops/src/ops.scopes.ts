// The scopes the ops app checks (DESIGN §6 auth). A platform operator reads and acts across tenants.
export const LINEAGE_READ = 'devops.lineage.read';
export const DEAD_LETTERS_READ = 'devops.deadletters.read';
export const DEAD_LETTERS_REPLAY = 'devops.deadletters.replay';
export const PLATFORM_OPERATOR = 'devops.platform.operator';
