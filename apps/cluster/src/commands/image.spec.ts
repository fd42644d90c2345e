import { parseBuildArgs } from './image';
import { CliError } from '../errors';

describe('parseBuildArgs', () => {
  it('reads KEY=VALUE (value may hold "=" or be empty) and KEY from the environment', () => {
    expect(parseBuildArgs(['A=1', 'B=x=y', 'C=', 'HOME_DIR'], { HOME_DIR: '/root' })).toEqual({
      A: '1',
      B: 'x=y',
      C: '',
      HOME_DIR: '/root',
    });
  });

  it('rejects an empty key or an unset variable with one line', () => {
    expect(() => parseBuildArgs(['=1'], {})).toThrow(CliError);
    expect(() => parseBuildArgs(['NOPE'], {})).toThrow(
      '--build-arg NOPE: want KEY=VALUE (or KEY set in the environment)',
    );
  });
});
