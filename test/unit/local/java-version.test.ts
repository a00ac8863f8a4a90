import { describe, expect, it } from 'vitest';
import { javaVersionProblem } from '../../../local/services/vendor.js';

const HOME = '/usr/lib/jvm/some-jdk';

describe('javaVersionProblem', () => {
  it.each([17, 21, 23])('accepts Java %i', (major) => {
    expect(javaVersionProblem(major, HOME)).toBeUndefined();
  });

  it.each([24, 25])('refuses Java %i, which cannot run OpenSearch 2.x, and says what to do', (major) => {
    // Act
    const problem = javaVersionProblem(major, HOME);

    // Assess
    expect(problem).toContain(`${HOME} is Java ${major}`);
    expect(problem).toContain('security manager');
    expect(problem).toContain('Set JAVA_HOME to a JDK 17–23');
  });

  it.each([
    [11, 'Java 11'],
    [0, 'Java of an unknown version'],
  ])('refuses Java %i, too old for DynamoDB Local 2.x', (major, named) => {
    expect(javaVersionProblem(major, HOME)).toContain(`${HOME} is ${named} (DynamoDB Local 2.x`);
  });
});
