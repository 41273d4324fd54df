// Input limits enforced at every edge (DESIGN §6). Other-language clients find them in the AsyncAPI document too.
export const MAX_ENVELOPE_BYTES = 256 * 1024;
