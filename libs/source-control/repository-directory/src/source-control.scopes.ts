// The scopes the source-control services check (DESIGN §6 auth).
export const REPOSITORIES_READ = 'devops.repositories.read';
/** provision repositories, create and delete branches, commit */
export const REPOSITORIES_WRITE = 'devops.repositories.write';
export const BRANCH_POLICIES_WRITE = 'devops.branchpolicies.write';
export const PULL_REQUESTS_READ = 'devops.pullrequests.read';
/** open, comment, set checks, close */
export const PULL_REQUESTS_WRITE = 'devops.pullrequests.write';
export const PULL_REQUESTS_REVIEW = 'devops.pullrequests.review';
export const PULL_REQUESTS_MERGE = 'devops.pullrequests.merge';
