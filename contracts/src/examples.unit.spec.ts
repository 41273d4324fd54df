import { allDefinitions } from './catalogue';
import { exampleEnvelope, exampleOf } from './examples';
import { validateEnvelope } from './validate';

describe('examples', () => {
  it.each(allDefinitions.map((d) => [d.type, d] as const))('%s has a valid example envelope', (_type, definition) => {
    const result = validateEnvelope(exampleEnvelope(definition));
    expect(result.ok ? 'valid' : result.reason).toBe('valid');
  });

  it('asks for a sample when a new pattern appears', () => {
    expect(() => exampleOf({ type: 'string', pattern: '^new$' }, 'field')).toThrow(/no sample for pattern \^new\$ at #/);
  });
});
