// The scopes this service checks (DESIGN §6 auth).
export const PIPELINES_READ = 'devops.pipelines.read';
/** queue and cancel runs */
export const PIPELINES_WRITE = 'devops.pipelines.write';
