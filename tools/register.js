// Resolves the @delivery/* path aliases inside the compiled tree (dist/), for every node entry point.
const path = require('node:path');
const { register } = require('tsconfig-paths');
const { compilerOptions } = require('../tsconfig.base.json');
register({ baseUrl: path.resolve(__dirname, '..', 'dist'), paths: compilerOptions.paths });
