// The scopes this service checks (DESIGN §6 auth).
export const PACKAGES_READ = 'devops.packages.read';
