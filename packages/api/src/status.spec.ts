import {
  alreadyExistsStatus,
  badRequestStatus,
  conflictStatus,
  expiredStatus,
  fieldNotSupported,
  fieldRequired,
  goneStatus,
  invalidStatus,
  notFoundStatus,
} from './status';

describe('Status builders (apimachinery pkg/api/errors)', () => {
  it('not found / already exists / conflict messages', () => {
    expect(notFoundStatus('pods', 'x')).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "x" not found',
      reason: 'NotFound',
      details: { name: 'x', kind: 'pods' },
      code: 404,
    });
    expect(notFoundStatus('deployments', 'web', 'apps').message).toBe('deployments.apps "web" not found');
    expect(alreadyExistsStatus('pods', 'x')).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      message: 'pods "x" already exists',
    });
    expect(conflictStatus('pods', 'x')).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on pods "x": the object has been modified; please apply your changes to the latest version and try again',
    });
    expect(badRequestStatus('bad')).toMatchObject({ code: 400, reason: 'BadRequest', message: 'bad' });
    expect(goneStatus('gone')).toMatchObject({ code: 410, reason: 'Gone' });
    expect(expiredStatus('too old resource version: 5 (10)')).toMatchObject({ code: 410, reason: 'Expired' });
  });

  it('invalid: one cause unbracketed, several bracketed, group-qualified kind', () => {
    const one = invalidStatus('Pod', 'p', [fieldRequired('spec.containers[0].image')]);
    expect(one.message).toBe('Pod "p" is invalid: spec.containers[0].image: Required value');
    expect(one.details).toEqual({
      name: 'p',
      kind: 'Pod',
      causes: [
        { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers[0].image' },
      ],
    });
    const two = invalidStatus(
      'Deployment',
      'd',
      [
        fieldRequired('spec.selector'),
        fieldNotSupported('spec.strategy.type', 'X', ['Recreate', 'RollingUpdate']),
      ],
      'apps',
    );
    expect(two.message).toBe(
      'Deployment.apps "d" is invalid: [spec.selector: Required value, spec.strategy.type: Unsupported value: "X": supported values: "Recreate", "RollingUpdate"]',
    );
    expect(two.details!.group).toBe('apps');
  });
});
