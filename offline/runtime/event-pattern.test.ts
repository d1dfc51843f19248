/**
 * Examples from AWS's documentation: "Amazon EventBridge event patterns", "Content filtering in Amazon EventBridge
 * event patterns", "Comparison operators for use in event patterns", "Arrays in … event patterns", "Matching null
 * values and empty strings", and Lambda's "event filtering" pages (SQS body, DynamoDB records).
 */
import { describe, expect, it } from 'vitest';
import { matchesEventPattern as matches, validateEventPattern } from './event-pattern';

// "Amazon EventBridge event patterns": the EC2 event and its instance-termination pattern.
const ec2Event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};

// The sample event the content-filtering examples are written against.
const countsEvent = (detail: Record<string, unknown>) => ({
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
    ...detail,
  },
});

describe('exact values, nesting and arrays', () => {
  const terminated = { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['terminated'] } };

  it('matches the documented EC2 termination pattern and ignores fields the pattern does not name', () => {
    expect(matches(terminated, ec2Event)).toBe(true);
    expect(matches(terminated, { ...ec2Event, detail: { ...ec2Event.detail, state: 'running' } })).toBe(false);
    expect(matches(terminated, { ...ec2Event, source: 'aws.fargate' })).toBe(false);
  });

  it('treats the values listed for a field as alternatives', () => {
    expect(matches({ source: ['aws.ec2', 'aws.fargate'] }, { source: 'aws.fargate' })).toBe(true);
    expect(matches({ source: ['aws.ec2', 'aws.fargate'] }, { source: 'aws.s3' })).toBe(false);
  });

  it('needs every named field, with the same nesting', () => {
    expect(matches(terminated, { source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification' })).toBe(false);
    expect(matches({ detail: { state: ['terminated'] } }, { state: 'terminated' })).toBe(false);
    expect(matches({ detail: { state: ['terminated'] } }, { detail: 'terminated' })).toBe(false);
  });

  it('matches strings character by character, case-sensitively', () => {
    expect(matches({ source: ['aws.ec2'] }, { source: 'AWS.EC2' })).toBe(false);
  });

  it('matches the documented Macie pattern on numbers at two levels', () => {
    const pattern = { source: ['aws.macie'], 'detail-type': ['Macie Alert'], detail: { 'risk-score': [80], trigger: { risk: [8] } } };
    const event = {
      source: 'aws.macie',
      'detail-type': 'Macie Alert',
      detail: { 'risk-score': 80, tags: ['Custom_Alert', 'Insider'], trigger: { 'alert-type': 'basic', risk: 8 } },
    };
    expect(matches(pattern, event)).toBe(true);
    expect(matches(pattern, { ...event, detail: { ...event.detail, trigger: { risk: 9 } } })).toBe(false);
  });

  it('compares numbers by value, and never a number with a string', () => {
    expect(matches({ detail: { 'x-limit': [300] } }, JSON.parse('{"detail":{"x-limit":300.0}}'))).toBe(true);
    expect(matches({ detail: { 'x-limit': [300] } }, { detail: { 'x-limit': 3.0e2 } })).toBe(true);
    expect(matches({ detail: { 'x-limit': [300] } }, { detail: { 'x-limit': '300' } })).toBe(false);
    expect(matches({ detail: { 'x-limit': ['300'] } }, { detail: { 'x-limit': 300 } })).toBe(false);
  });

  it('matches booleans as JSON literals', () => {
    expect(matches({ detail: { enabled: [true] } }, { detail: { enabled: true } })).toBe(true);
    expect(matches({ detail: { enabled: [true] } }, { detail: { enabled: 'true' } })).toBe(false);
  });

  it('matches when the pattern values and an event array intersect ("Arrays in event patterns")', () => {
    const pattern = {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
      ],
    };
    const event = {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    };
    expect(matches(pattern, event)).toBe(true);
    expect(matches(pattern, { resources: [event.resources[0]] })).toBe(false);
    expect(matches(pattern, { resources: [] })).toBe(false);
  });

  it('applies a nested pattern to each element of an array of objects, within one element', () => {
    const event = {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ],
    };
    expect(matches({ employees: { firstName: ['Anna'] } }, event)).toBe(true);
    expect(matches({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, event)).toBe(true);
    expect(matches({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, event)).toBe(false);
  });
});

describe('null values and empty strings', () => {
  const event = {
    source: 'aws.autoscaling',
    'detail-type': 'EC2 Instance Launch Successful',
    resources: [],
    detail: { eventVersion: '', responseElements: null },
  };

  it('matches null and "" separately, as documented', () => {
    expect(matches({ detail: { eventVersion: [''] } }, event)).toBe(true);
    expect(matches({ detail: { responseElements: [null] } }, event)).toBe(true);
    expect(matches({ detail: { responseElements: [''] } }, event)).toBe(false);
    expect(matches({ detail: { eventVersion: [null] } }, event)).toBe(false);
  });

  it('does not match [null] against a missing field', () => {
    expect(matches({ detail: { missing: [null] } }, event)).toBe(false);
  });
});

describe('prefix, suffix, equals-ignore-case, wildcard', () => {
  it('prefix: "time" starting with 2017-10-02', () => {
    const pattern = { time: [{ prefix: '2017-10-02' }] };
    expect(matches(pattern, { time: '2017-10-02T18:43:48Z' })).toBe(true);
    expect(matches(pattern, { time: '2017-10-03T18:43:48Z' })).toBe(false);
  });

  it('prefix only applies to strings', () => {
    expect(matches({ detail: { 'c-count': [{ prefix: '5' }] } }, countsEvent({}))).toBe(false);
    expect(matches({ detail: { code: [{ prefix: '12' }] } }, { detail: { code: 1234 } })).toBe(false);
  });

  it('prefix with equals-ignore-case: service starting with "EventB" in any case', () => {
    const pattern = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };
    expect(matches(pattern, { detail: { service: 'eventbridge' } })).toBe(true);
    expect(matches(pattern, { detail: { service: 'EVENTBRIDGE' } })).toBe(true);
    expect(matches(pattern, { detail: { service: 'lambda' } })).toBe(false);
  });

  it('suffix: FileName ending with .png, and its ignore-case form', () => {
    expect(matches({ FileName: [{ suffix: '.png' }] }, { FileName: 'cat.png' })).toBe(true);
    expect(matches({ FileName: [{ suffix: '.png' }] }, { FileName: 'cat.PNG' })).toBe(false);
    expect(matches({ detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } }, { detail: { FileName: 'cat.PNG' } })).toBe(
      true,
    );
    expect(matches({ detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } }, { detail: { FileName: 'cat.jpg' } })).toBe(
      false,
    );
  });

  it('equals-ignore-case: Name is "Alice" in any case, strings only', () => {
    expect(matches({ Name: [{ 'equals-ignore-case': 'alice' }] }, { Name: 'ALICE' })).toBe(true);
    expect(matches({ Name: [{ 'equals-ignore-case': 'alice' }] }, { Name: 'Alicia' })).toBe(false);
  });

  it('wildcard: "*" matches any run, including an empty one', () => {
    const pattern = { source: [{ wildcard: 'Simple*Service' }] };
    expect(matches(pattern, { source: 'SimpleQueueService' })).toBe(true);
    expect(matches(pattern, { source: 'SimpleService' })).toBe(true);
    expect(matches(pattern, { source: 'SimpleQueueServices' })).toBe(false);
    expect(matches({ path: [{ wildcard: 'dir/*.png' }] }, { path: 'dir/a.b.png' })).toBe(true);
    expect(matches({ path: [{ wildcard: 'a\\*b' }] }, { path: 'a*b' })).toBe(true);
    expect(matches({ path: [{ wildcard: 'a\\*b' }] }, { path: 'axb' })).toBe(false);
  });
});

describe('anything-but', () => {
  it('a string: state is anything but "initializing"', () => {
    const pattern = { detail: { state: [{ 'anything-but': 'initializing' }] } };
    expect(matches(pattern, countsEvent({ state: 'running' }))).toBe(true);
    expect(matches(pattern, countsEvent({ state: 'initializing' }))).toBe(false);
  });

  it('never matches a missing field', () => {
    expect(matches({ detail: { state: [{ 'anything-but': 'initializing' }] } }, { detail: {} })).toBe(false);
    expect(matches({ detail: { state: [{ 'anything-but': 'initializing' }] } }, {})).toBe(false);
  });

  it('a number and a list of numbers (x-limit)', () => {
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, countsEvent({ 'x-limit': 124 }))).toBe(true);
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, countsEvent({ 'x-limit': 123 }))).toBe(false);
    const list = { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } };
    expect(matches(list, countsEvent({ 'x-limit': 301.8 }))).toBe(true);
    expect(matches(list, countsEvent({ 'x-limit': 200 }))).toBe(false);
  });

  it('a list of strings (stopped, overloaded)', () => {
    const pattern = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
    expect(matches(pattern, countsEvent({ state: 'running' }))).toBe(true);
    expect(matches(pattern, countsEvent({ state: 'overloaded' }))).toBe(false);
  });

  it('a prefix: state not starting with "init"; Region not in the US', () => {
    expect(matches({ detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, countsEvent({ state: 'running' }))).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, countsEvent({ state: 'initializing' }))).toBe(false);
    expect(matches({ Region: [{ 'anything-but': { prefix: 'us-' } }] }, { Region: 'eu-west-1' })).toBe(true);
    expect(matches({ Region: [{ 'anything-but': { prefix: 'us-' } }] }, { Region: 'us-east-1' })).toBe(false);
  });

  it('a suffix: FileName not ending with .png', () => {
    expect(matches({ FileName: [{ 'anything-but': { suffix: '.png' } }] }, { FileName: 'cat.jpg' })).toBe(true);
    expect(matches({ FileName: [{ 'anything-but': { suffix: '.png' } }] }, { FileName: 'cat.png' })).toBe(false);
  });

  it('equals-ignore-case: state is anything but "initializing" in any case', () => {
    const pattern = { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] };
    expect(matches(pattern, { state: 'INITIALIZING' })).toBe(false);
    expect(matches(pattern, { state: 'running' })).toBe(true);
  });

  it('a wildcard: FilePath not including /lib/', () => {
    const pattern = { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] };
    expect(matches(pattern, { FilePath: '/usr/lib/node' })).toBe(false);
    expect(matches(pattern, { FilePath: '/usr/bin/node' })).toBe(true);
  });

  it('matches when any element of an event array is not excluded', () => {
    expect(matches({ state: [{ 'anything-but': 'a' }] }, { state: ['a', 'b'] })).toBe(true);
    expect(matches({ state: [{ 'anything-but': 'a' }] }, { state: ['a'] })).toBe(false);
  });
});

describe('numeric', () => {
  const pattern = {
    detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }], 'd-count': [{ numeric: ['<', 10] }], 'x-limit': [{ numeric: ['=', 3.018e2] }] },
  };

  it('matches the documented ranges only when all hold', () => {
    expect(matches(pattern, countsEvent({}))).toBe(true);
    expect(matches(pattern, countsEvent({ 'c-count': 6 }))).toBe(false);
    expect(matches(pattern, countsEvent({ 'c-count': 0 }))).toBe(false);
    expect(matches(pattern, countsEvent({ 'd-count': 10 }))).toBe(false);
    expect(matches(pattern, countsEvent({ 'x-limit': 301.9 }))).toBe(false);
  });

  it('only matches JSON numbers', () => {
    expect(matches(pattern, countsEvent({ 'c-count': '5' }))).toBe(false);
  });

  it('supports >= and <= bounds', () => {
    expect(matches({ n: [{ numeric: ['>=', 5, '<', 6] }] }, { n: 5 })).toBe(true);
    expect(matches({ n: [{ numeric: ['>=', 5, '<', 6] }] }, { n: 6 })).toBe(false);
    expect(matches({ n: [{ numeric: ['<=', -1] }] }, { n: -1 })).toBe(true);
  });
});

describe('cidr', () => {
  it('matches IPv4 addresses in 10.0.0.0/24', () => {
    const pattern = { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } };
    expect(matches(pattern, { detail: { sourceIPAddress: '10.0.0.255' } })).toBe(true);
    expect(matches(pattern, { detail: { sourceIPAddress: '10.0.1.0' } })).toBe(false);
    expect(matches(pattern, { detail: { sourceIPAddress: 'not-an-ip' } })).toBe(false);
  });

  it('matches IPv6 addresses', () => {
    const pattern = { ip: [{ cidr: '2001:db8::/32' }] };
    expect(matches(pattern, { ip: '2001:db8:1234::1' })).toBe(true);
    expect(matches(pattern, { ip: '2001:db9::1' })).toBe(false);
  });
});

describe('exists', () => {
  const noCCount = { detail: { 'c-count': [{ exists: false }] } };

  it('exists:false matches an event without detail.c-count', () => {
    expect(matches(noCCount, { 'detail-type': 'x', detail: { state: ['initializing', 'running'] } })).toBe(true);
  });

  it('exists:false also matches when c-count is an object: it is not a leaf (documented)', () => {
    expect(matches(noCCount, { detail: { state: ['initializing', 'running'], 'c-count': { c1: 100 } } })).toBe(true);
  });

  it('exists:false does not match a present field', () => {
    expect(matches(noCCount, countsEvent({}))).toBe(false);
    expect(matches(noCCount, { detail: { 'c-count': null } })).toBe(false);
  });

  it('exists:true needs a leaf value', () => {
    const pattern = { detail: { alarmName: [{ exists: true }] } };
    expect(matches(pattern, { detail: { alarmName: 'high-cpu' } })).toBe(true);
    expect(matches(pattern, { detail: {} })).toBe(false);
    expect(matches(pattern, { detail: { alarmName: { nested: 1 } } })).toBe(false);
    expect(matches(pattern, { detail: { alarmName: [] } })).toBe(false);
  });
});

describe('$or', () => {
  it('"source" && ("metricName" || "namespace")', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    };
    expect(matches(pattern, { source: 'aws.cloudwatch', metricName: 'ReadLatency' })).toBe(true);
    expect(matches(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/ES' })).toBe(true);
    expect(matches(pattern, { source: 'aws.cloudwatch', metricName: 'Other', namespace: 'AWS/S3' })).toBe(false);
    expect(matches(pattern, { source: 'aws.ec2', metricName: 'ReadLatency' })).toBe(false);
  });

  it('nested $or inside detail, with an AND inside a branch', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization'] },
        { metricType: ['MetricType'], namespace: ['AWS/EC2'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] },
      ],
    };
    expect(matches(pattern, { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1000 })).toBe(true);
    expect(matches(pattern, { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1 })).toBe(false);
    const ec2 = { detail: { $or: [{ state: ['running'] }, { state: ['terminated'] }] } };
    expect(matches(ec2, { detail: { state: 'terminated' } })).toBe(true);
    expect(matches(ec2, { detail: { state: 'stopped' } })).toBe(false);
  });
});

describe('the complex documented example', () => {
  const pattern = {
    time: [{ prefix: '2017-10-02' }],
    detail: {
      state: [{ 'anything-but': 'initializing' }],
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ 'anything-but': [100, 200, 300] }],
      'source-ip': [{ cidr: '10.0.0.0/8' }],
    },
  };

  it('matches the sample event, and fails when any one field fails', () => {
    expect(matches(pattern, countsEvent({}))).toBe(true);
    expect(matches(pattern, countsEvent({ 'source-ip': '11.0.0.1' }))).toBe(false);
    expect(matches(pattern, countsEvent({ 'x-limit': 300 }))).toBe(false);
    expect(matches(pattern, { ...countsEvent({}), time: '2017-10-03T00:00:00Z' })).toBe(false);
  });
});

describe('Lambda FilterCriteria (same syntax on the record)', () => {
  it('SQS: filters on the parsed body', () => {
    const record = { messageId: '059f36b4', body: { RecordNumber: 1234, TimeStamp: 'yyyy-mm-ddThh:mm:ss', RequestCode: 'AAAA' } };
    expect(matches({ body: { RequestCode: ['BBBB'] } }, record)).toBe(false);
    expect(matches({ body: { RequestCode: ['AAAA'] } }, record)).toBe(true);
  });

  it('DynamoDB: filters on keys and event name', () => {
    const record = {
      eventName: 'INSERT',
      dynamodb: { Keys: { CustomerName: { S: 'AnyCompany Industries' } }, NewImage: { PaymentTerms: { S: '60 days' } } },
    };
    expect(matches({ dynamodb: { Keys: { CustomerName: { S: ['AnyCompany Industries'] } } } }, record)).toBe(true);
    expect(matches({ eventName: ['INSERT'] }, record)).toBe(true);
    expect(matches({ eventName: ['MODIFY'] }, record)).toBe(false);
  });
});

describe('validation (fails closed, like PutRule)', () => {
  it.each([
    ['not an object', 'aws.ec2'],
    ['empty pattern', {}],
    ['empty value list', { source: [] }],
    ['scalar field', { source: 'aws.ec2' }],
    ['unknown operator', { source: [{ contains: 'ec2' }] }],
    ['two operators in one matcher', { source: [{ prefix: 'a', suffix: 'b' }] }],
    ['mixed anything-but list', { n: [{ 'anything-but': [1, 'a'] }] }],
    ['anything-but null', { n: [{ 'anything-but': null }] }],
    ['unknown anything-but operator', { n: [{ 'anything-but': { numeric: ['>', 1] } }] }],
    ['empty anything-but prefix', { n: [{ 'anything-but': { prefix: '' } }] }],
    ['numeric upper bound first', { n: [{ numeric: ['<', 5, '>', 1] }] }],
    ['numeric inverted range', { n: [{ numeric: ['>', 5, '<', 1] }] }],
    ['numeric non-number', { n: [{ numeric: ['>', '5'] }] }],
    ['numeric unknown op', { n: [{ numeric: ['!=', 5] }] }],
    ['exists non-boolean', { n: [{ exists: 'yes' }] }],
    ['bad cidr', { ip: [{ cidr: '10.0.0.0/33' }] }],
    ['consecutive wildcards', { s: [{ wildcard: 'a**b' }] }],
    ['bad wildcard escape', { s: [{ wildcard: 'a\\b' }] }],
    ['$or with one branch', { $or: [{ a: ['x'] }] }],
    ['operator as field inside $or', { $or: [{ prefix: ['x'] }, { b: ['y'] }] }],
  ])('rejects %s', (_name, pattern) => {
    expect(() => validateEventPattern(pattern)).toThrow(/Invalid event pattern/);
    expect(() => matches(pattern, {})).toThrow(/Invalid event pattern/);
  });

  it('names where the problem is', () => {
    expect(() => validateEventPattern({ detail: { state: [{ prefx: 'a' }] } })).toThrow(
      'Invalid event pattern at "detail.state[0]": unknown operator "prefx"',
    );
  });

  it('accepts every documented form', () => {
    expect(() =>
      validateEventPattern({
        a: [
          'x',
          1,
          true,
          null,
          { prefix: 'p' },
          { prefix: { 'equals-ignore-case': 'p' } },
          { suffix: 's' },
          { suffix: { 'equals-ignore-case': 's' } },
        ],
        b: [
          { 'equals-ignore-case': 'x' },
          { wildcard: 'a*b' },
          { 'anything-but': 'x' },
          { 'anything-but': [1, 2] },
          { 'anything-but': { prefix: 'p' } },
        ],
        c: [
          { 'anything-but': { suffix: 's' } },
          { 'anything-but': { 'equals-ignore-case': ['x', 'y'] } },
          { 'anything-but': { wildcard: '*x*' } },
        ],
        d: [{ numeric: ['=', 1] }, { numeric: ['>=', 0, '<', 1] }, { cidr: '10.0.0.0/8' }, { exists: true }, { exists: false }],
        $or: [{ e: ['x'] }, { f: { g: ['y'] } }],
      }),
    ).not.toThrow();
  });
});
