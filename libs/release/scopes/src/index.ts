// The scopes the release-context services check (DESIGN §6 auth), one set for the three of them.
export const RELEASES_READ = 'devops.releases.read';
/** plan, revise, submit, reject and retry releases */
export const RELEASES_WRITE = 'devops.releases.write';
/** approve an environment of a release (segregation of duties is checked on top) */
export const RELEASES_APPROVE = 'devops.releases.approve';
/** edit the approval policy and GitOps target of a project */
export const RELEASES_ADMIN = 'devops.releases.admin';
