// The scope the build views require (DESIGN §6 auth); builds are written by the bus only, never over REST.
export const BUILDS_READ = 'devops.builds.read';
