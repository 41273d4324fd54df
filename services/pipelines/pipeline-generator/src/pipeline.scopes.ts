// The scopes this service checks (DESIGN §6 auth).
export const PIPELINES_READ = 'devops.pipelines.read';
/** preview generated pipelines (the author's step before GeneratePipeline) */
export const PIPELINES_WRITE = 'devops.pipelines.write';
