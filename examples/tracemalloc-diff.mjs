console.log('demo lands with the tracing API');
