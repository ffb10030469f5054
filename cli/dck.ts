// `dck`: the one command-line entry that reaches every part of the product (see DESIGN.md).
console.log('dck: no commands yet');
