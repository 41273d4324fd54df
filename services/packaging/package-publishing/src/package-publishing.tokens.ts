export const ARTIFACT_STORE = Symbol('ARTIFACT_STORE');
